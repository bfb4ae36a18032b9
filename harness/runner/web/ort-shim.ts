/**
 * Stands in for onnxruntime-node in the browser bundle: the task adapters and
 * tensors.ts import onnxruntime-node, and get the page's onnxruntime-web, which
 * shares its API. The page imports onnxruntime-web before the runner (see
 * devices/browser/page.ts), so it is on globalThis by the time this runs.
 */
import type * as OrtWeb from 'onnxruntime-web';

const ort = (globalThis as { ort?: typeof OrtWeb }).ort;
if (!ort) throw new Error('onnxruntime-web is not on the page: the page must import /ort/ort.wasm.min.mjs and set globalThis.ort before the runner');

export const { Tensor, InferenceSession, env } = ort;
