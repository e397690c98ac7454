/**
 * The `dllm.*` settings package.json contributes, flattened across its sections
 * (`contributes.configuration` is an array: Inline, Commands, Sampler, Engine).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PropertySchema {
  type: string;
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  enumDescriptions?: string[];
  markdownDescription?: string;
  scope?: string;
  order?: number;
}

export interface SettingsSection {
  id: string;
  title: string;
  properties: Record<string, PropertySchema>;
}

export const packageJsonPath = path.join(__dirname, '../../../package.json');

export function settingsSections(): SettingsSection[] {
  const pkg = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8')) as { contributes: { configuration: SettingsSection[] } };
  return pkg.contributes.configuration;
}

/** Every contributed setting by its full key. */
export function contributedSettings(): Record<string, PropertySchema> {
  return Object.assign({}, ...settingsSections().map((s) => s.properties)) as Record<string, PropertySchema>;
}
