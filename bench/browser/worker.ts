// timeSteps in a dedicated worker.
import { timeSteps } from "./steps.js";

(self as unknown as { postMessage(m: unknown): void }).postMessage(timeSteps("Chromium worker"));
