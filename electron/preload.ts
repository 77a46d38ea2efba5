/** Exposes exactly one object, `window.candor`, whose only method forwards contract channels. */
import { contextBridge, ipcRenderer } from 'electron';
import { isChannel, ipcName, type CandorApi } from './api/contract';

const api: CandorApi = {
  invoke(channel, request) {
    if (!isChannel(channel)) return Promise.reject(new Error(`unknown channel ${String(channel)}`));
    return ipcRenderer.invoke(ipcName(channel), request);
  },
};

contextBridge.exposeInMainWorld('candor', api);
