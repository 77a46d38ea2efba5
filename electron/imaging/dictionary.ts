/** Names and VRs of the attributes a tag browser most often shows (implicit VR files need the VR). */
const TABLE = `
00020000 UL FileMetaInformationGroupLength
00020001 OB FileMetaInformationVersion
00020002 UI MediaStorageSOPClassUID
00020003 UI MediaStorageSOPInstanceUID
00020010 UI TransferSyntaxUID
00020012 UI ImplementationClassUID
00020013 SH ImplementationVersionName
00020016 AE SourceApplicationEntityTitle
00041130 CS FileSetID
00041200 UL OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity
00041202 UL OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity
00041212 US FileSetConsistencyFlag
00041220 SQ DirectoryRecordSequence
00041400 UL OffsetOfTheNextDirectoryRecord
00041410 US RecordInUseFlag
00041420 UL OffsetOfReferencedLowerLevelDirectoryEntity
00041430 CS DirectoryRecordType
00041500 CS ReferencedFileID
00041510 UI ReferencedSOPClassUIDInFile
00041511 UI ReferencedSOPInstanceUIDInFile
00041512 UI ReferencedTransferSyntaxUIDInFile
00080005 CS SpecificCharacterSet
00080008 CS ImageType
00080012 DA InstanceCreationDate
00080013 TM InstanceCreationTime
00080016 UI SOPClassUID
00080018 UI SOPInstanceUID
00080020 DA StudyDate
00080021 DA SeriesDate
00080022 DA AcquisitionDate
00080023 DA ContentDate
00080030 TM StudyTime
00080031 TM SeriesTime
00080032 TM AcquisitionTime
00080033 TM ContentTime
00080050 SH AccessionNumber
00080060 CS Modality
00080064 CS ConversionType
00080070 LO Manufacturer
00080080 LO InstitutionName
00080081 ST InstitutionAddress
00080090 PN ReferringPhysicianName
00081010 SH StationName
00081030 LO StudyDescription
0008103E LO SeriesDescription
00081040 LO InstitutionalDepartmentName
00081050 PN PerformingPhysicianName
00081060 PN NameOfPhysiciansReadingStudy
00081070 PN OperatorsName
00081090 LO ManufacturerModelName
00081140 SQ ReferencedImageSequence
00082111 ST DerivationDescription
00100010 PN PatientName
00100020 LO PatientID
00100030 DA PatientBirthDate
00100032 TM PatientBirthTime
00100040 CS PatientSex
00101000 LO OtherPatientIDs
00101001 PN OtherPatientNames
00101010 AS PatientAge
00101020 DS PatientSize
00101030 DS PatientWeight
00101040 LO PatientAddress
00102154 SH PatientTelephoneNumbers
00104000 LT PatientComments
00180015 CS BodyPartExamined
00180050 DS SliceThickness
00180060 DS KVP
00180088 DS SpacingBetweenSlices
00181020 LO SoftwareVersions
00181030 LO ProtocolName
00181063 DS FrameTime
00181150 IS ExposureTime
00181151 IS XRayTubeCurrent
00181152 IS Exposure
00181210 SH ConvolutionKernel
00185100 CS PatientPosition
0020000D UI StudyInstanceUID
0020000E UI SeriesInstanceUID
00200010 SH StudyID
00200011 IS SeriesNumber
00200012 IS AcquisitionNumber
00200013 IS InstanceNumber
00200020 CS PatientOrientation
00200032 DS ImagePositionPatient
00200037 DS ImageOrientationPatient
00200052 UI FrameOfReferenceUID
00201041 DS SliceLocation
00204000 LT ImageComments
00280002 US SamplesPerPixel
00280004 CS PhotometricInterpretation
00280006 US PlanarConfiguration
00280008 IS NumberOfFrames
00280009 AT FrameIncrementPointer
00280010 US Rows
00280011 US Columns
00280030 DS PixelSpacing
00280034 IS PixelAspectRatio
00280100 US BitsAllocated
00280101 US BitsStored
00280102 US HighBit
00280103 US PixelRepresentation
00280106 US SmallestImagePixelValue
00280107 US LargestImagePixelValue
00280120 US PixelPaddingValue
00281050 DS WindowCenter
00281051 DS WindowWidth
00281052 DS RescaleIntercept
00281053 DS RescaleSlope
00281054 LO RescaleType
00281055 LO WindowCenterWidthExplanation
00281056 CS VOILUTFunction
00281101 US RedPaletteColorLookupTableDescriptor
00281102 US GreenPaletteColorLookupTableDescriptor
00281103 US BluePaletteColorLookupTableDescriptor
00281201 OW RedPaletteColorLookupTableData
00281202 OW GreenPaletteColorLookupTableData
00281203 OW BluePaletteColorLookupTableData
00282110 CS LossyImageCompression
00282112 DS LossyImageCompressionRatio
00282114 CS LossyImageCompressionMethod
00283000 SQ ModalityLUTSequence
00283002 US LUTDescriptor
00283003 LO LUTExplanation
00283006 US LUTData
00283010 SQ VOILUTSequence
00289132 SQ FrameVOILUTSequence
00289145 SQ PixelValueTransformationSequence
52009229 SQ SharedFunctionalGroupsSequence
52009230 SQ PerFrameFunctionalGroupsSequence
30040002 CS DoseUnits
30040004 CS DoseType
3004000A CS DoseSummationType
3004000C DS GridFrameOffsetVector
3004000E DS DoseGridScaling
7FE00008 OF FloatPixelData
7FE00009 OD DoubleFloatPixelData
7FE00010 OW PixelData
FFFEE000 NA Item
FFFEE00D NA ItemDelimitationItem
FFFEE0DD NA SequenceDelimitationItem
`;

export interface DictionaryEntry {
  vr: string;
  name: string;
}

const entries = new Map<string, DictionaryEntry>();
for (const line of TABLE.trim().split('\n')) {
  const [tag, vr, name] = line.split(' ');
  entries.set(`x${tag!.toLowerCase()}`, { vr: vr!, name: name! });
}

/** Looks up a dicom-parser tag key such as `x00100010`. */
export function dictionaryEntry(tag: string): DictionaryEntry | undefined {
  return entries.get(tag.toLowerCase());
}

/** Attributes that identify a patient or the people and places around them (hidden on request). */
const IDENTIFYING_TAGS = new Set([
  'x00100010', 'x00100020', 'x00100030', 'x00100032', 'x00101000', 'x00101001', 'x00101040', 'x00102154', 'x00104000',
  'x00080050', 'x00080080', 'x00080081', 'x00080090', 'x00081010', 'x00081040', 'x00081050', 'x00081060', 'x00081070',
  'x00200010',
]);

/** The whole Patient group (0010,xxxx) counts as identifying, besides the listed attributes. */
export function isIdentifying(tag: string): boolean {
  const t = tag.toLowerCase();
  return t.startsWith('x0010') || IDENTIFYING_TAGS.has(t);
}
