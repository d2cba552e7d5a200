// What both demo recipes upload: their trainer, the safetensors writer, and the demo dataset unless the user gave one.
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../version';
import type { RenderContext } from './recipe';

const RECIPES_DIR = () => path.join(PACKAGE_ROOT, 'resources', 'recipes');

export function demoFiles(trainer: string, ctx: RenderContext): { files: Record<string, string | Buffer>; dataset: string } {
  const files: Record<string, string | Buffer> = {
    'train.py': fs.readFileSync(path.join(RECIPES_DIR(), trainer)),
    'safetensors_lite.py': fs.readFileSync(path.join(RECIPES_DIR(), 'safetensors_lite.py')),
  };
  let dataset = ctx.dataset;
  if (!dataset) {
    dataset = 'data/instruct-demo.jsonl';
    files[dataset] = fs.readFileSync(path.join(RECIPES_DIR(), 'data', 'instruct-demo.jsonl'));
  }
  return { files, dataset };
}
