// The messages between the page and the training worker.

/** What the page can change; a new hidden size means a new model (reset). */
export interface TrainSettings {
  hidden: number;
  lr: number;
}

export type ToWorker =
  | { type: "reset"; settings: TrainSettings }
  | { type: "start" }
  | { type: "pause" }
  | { type: "set-lr"; lr: number }
  | { type: "sample"; seed: number; length: number; temperature: number; id: number }
  | { type: "save" }
  | { type: "load"; bytes: Uint8Array; name: string };

export interface Point {
  step: number;
  /** training loss of this step, bits per character */
  train: number;
  /** validation loss, bits per character, every EVAL_EVERY steps */
  val?: number;
}

export type FromWorker =
  | { type: "ready"; corpusChars: number; vocab: number; unigramBpc: number; parameters: number; settings: TrainSettings; step: number; history: Point[] }
  | { type: "progress"; points: Point[]; step: number; stepMs: number; running: boolean }
  | { type: "sample"; text: string; step: number; id: number; seed: number }
  | { type: "saved"; bytes: Uint8Array; step: number }
  | { type: "load-error"; message: string }
  | { type: "error"; message: string };
