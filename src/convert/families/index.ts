/**
 * The family registry: config.json's `architectures` / `model_type` pick the family, or the user
 * names one (`--family`) for a checkpoint whose config names its base model (Open-dCoder says
 * qwen2). An unrecognised checkpoint is refused, naming the supported families, never guessed.
 */
import type { Json } from '../configFields';
import { ConvertError } from '../errors';
import { dream } from './dream';
import { fastDllmV2 } from './fastDllmV2';
import type { Family, FamilyId } from './family';
import { llada } from './llada';
import { sdar } from './sdar';

export const FAMILIES: readonly Family[] = [dream, llada, sdar, fastDllmV2];

export const FAMILY_IDS: readonly FamilyId[] = FAMILIES.map((f) => f.id);

function supported(): string {
  return FAMILIES.map((f) => `${f.id} (${f.covers})`).join('; ');
}

/** The family named by `override`, else the one config.json names. */
export function selectFamily(config: Json, override?: string): Family {
  if (override !== undefined) {
    const named = FAMILIES.find((f) => f.id === override);
    if (!named) throw new ConvertError(`unknown family "${override}"; supported: ${FAMILY_IDS.join(', ')}`);
    return named;
  }
  const found = FAMILIES.find((f) => f.recognises(config));
  if (found) return found;
  const architectures = Array.isArray(config.architectures) ? config.architectures.join(', ') : 'none';
  throw new ConvertError(
    `config.json names an unsupported model (model_type ${JSON.stringify(config.model_type)}, architectures ${architectures}); ` +
      `supported families: ${supported()}. If it is one of these under another name, say which with --family`,
  );
}
