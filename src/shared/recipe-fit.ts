// Whether a host's last probe says a recipe can run there: the same reading for the launch dialog and the CLI.
import type { HostProbe } from './domain/host';
import type { RecipeInfo } from './domain/run';

/** "3.10.4" against "3.8": compared part by part as numbers (3.10 is after 3.8). */
function versionAtLeast(version: string, lowest: string): boolean {
  const have = version.split('.').map((p) => parseInt(p, 10) || 0);
  const need = lowest.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < need.length; i++) {
    const h = have[i] ?? 0;
    if (h !== need[i]) return h > need[i]!;
  }
  return true;
}

/**
 * What the probe found missing for the recipe, each as what the host lacks ("the Python package
 * torch"); empty when nothing is. A package
 * the probe did not look for is not called missing: only what it looked for and did not find.
 */
export function whatHostLacks(recipe: Pick<RecipeInfo, 'name' | 'requires'>, probe: HostProbe): string[] {
  const lacks: string[] = [];
  const { python, packages } = recipe.requires;
  if (probe.python.version === null) lacks.push('a Python that answers the probe');
  else if (python && !versionAtLeast(probe.python.version, python)) lacks.push(`Python ${python} or later (it has ${probe.python.version})`);
  const missing = packages.filter((p) => p in probe.python.packages && probe.python.packages[p] === null);
  if (missing.length) lacks.push(`the Python package${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return lacks;
}
