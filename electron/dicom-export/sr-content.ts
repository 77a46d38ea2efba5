/**
 * SR content items (PS3.3 C.17.3) as plain data sets. dcmjs 0.51 has SR template classes, but
 * its TID 1500 group and measurement classes reject valid input (their tracking identifier
 * checks are inverted) and log to the console, so the tree is built here from these few shapes.
 */
import { codeItem, type Code } from './codes';
import type { Dataset } from './dcmjs';
import { ds } from './geometry';

export type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'INFERRED FROM' | 'HAS PROPERTIES' | 'SELECTED FROM';

/** A referenced instance: SOP Class and Instance, and the frame of a multi-frame image. */
export interface InstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  frame?: number;
}

function item(relationship: Relationship | null, valueType: string, name: Code, value: Dataset, children: Dataset[] = []): Dataset {
  return {
    ...(relationship ? { RelationshipType: relationship } : {}),
    ValueType: valueType,
    ConceptNameCodeSequence: [codeItem(name)],
    ...value,
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

export function container(relationship: Relationship | null, name: Code, children: Dataset[], templateId?: string): Dataset {
  const template = templateId ? { ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: templateId }] } : {};
  return item(relationship, 'CONTAINER', name, { ContinuityOfContent: 'SEPARATE', ...template }, children);
}

export function code(relationship: Relationship, name: Code, value: Code): Dataset {
  return item(relationship, 'CODE', name, { ConceptCodeSequence: [codeItem(value)] });
}

export function text(relationship: Relationship, name: Code, value: string): Dataset {
  return item(relationship, 'TEXT', name, { TextValue: value });
}

export function uidRef(relationship: Relationship, name: Code, uid: string): Dataset {
  return item(relationship, 'UIDREF', name, { UID: uid });
}

/**
 * A name as typed ("Dr Ann Smith") is not split into DICOM's family^given components: it all
 * goes in the family name, with the delimiter written so that no reader takes the spaces for the
 * retired ACR-NEMA form. A name already in DICOM form ("Smith^Ann") stays as it is.
 */
export function dicomPersonName(typed: string): string {
  const name = typed.trim();
  return name.includes('^') ? name.slice(0, 64) : `${name.slice(0, 63)}^`;
}

export function personName(relationship: Relationship, name: Code, person: string): Dataset {
  return item(relationship, 'PNAME', name, { PersonName: [{ Alphabetic: dicomPersonName(person) }] });
}

/** A number with its unit; the full double beside the decimal string when 16 characters cannot hold it exactly. */
export function num(relationship: Relationship, name: Code, value: number, unit: Code, children: Dataset[] = []): Dataset {
  const decimal = ds(value);
  const measured: Dataset = { MeasurementUnitsCodeSequence: [codeItem(unit)], NumericValue: decimal, ...(Number(decimal) !== value ? { FloatingPointValue: value } : {}) };
  return item(relationship, 'NUM', name, { MeasuredValueSequence: [measured] }, children);
}

export function image(relationship: Relationship, name: Code, ref: InstanceRef): Dataset {
  return item(relationship, 'IMAGE', name, referencedSop(ref));
}

function referencedSop(ref: InstanceRef): Dataset {
  return { ReferencedSOPSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid, ...(ref.frame ? { ReferencedFrameNumber: ref.frame } : {}) }] };
}

/**
 * A planar region on the referenced image as a closed POLYLINE (TID 1410 takes no other polygon
 * form): column/row pairs in the image's pixel coordinates, (0, 0) its top-left corner, which is
 * how Candor's regions are drawn. The image it lies on is a SELECTED FROM child, which has no
 * concept name of its own.
 */
export function scoordPolygon(relationship: Relationship, name: Code, points: [number, number][], on: InstanceRef): Dataset {
  const [first, last] = [points[0]!, points.at(-1)!];
  const closed = first[0] === last[0] && first[1] === last[1] ? points : [...points, first];
  return item(relationship, 'SCOORD', name, { GraphicType: 'POLYLINE', GraphicData: closed.flat() }, [{ RelationshipType: 'SELECTED FROM', ValueType: 'IMAGE', ...referencedSop(on) }]);
}
