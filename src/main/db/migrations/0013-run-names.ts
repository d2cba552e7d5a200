// Run names: a human-readable name beside the id (adjective-noun-N, N the run's number in its project),
// as W&B users expect. Every run gets one: existing runs here, new ones from a trigger, so each way a run
// is inserted (launcher, test runs, demo seed) names it without knowing about names. Users rename runs.
import type { Migration } from '../migrate';

// Frozen with this migration: a later list would name new runs differently, never rename old ones.
const ADJECTIVES =
  'amber bold brave bright calm clever crisp curious daring deep eager fancy fresh gentle glad golden grand happy hidden jolly keen lively lucky mellow misty noble polished quiet rapid rosy silent silver smooth snowy steady sunny swift tidy vivid wild'.split(
    ' ',
  );
const NOUNS =
  'badger brook canyon cedar cloud comet coral crane dawn delta dune falcon fern firefly forest glacier harbor hawk heron lake lynx maple meadow moon otter owl pine planet river sea sky sparrow star sun thunder tide valley wave willow wind'.split(
    ' ',
  );

/** A digit (0-31) of a ULID's random part, read in SQL. */
const digit = (id: string, at: number) => `max(0, instr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', upper(substr(${id}, ${at}, 1))) - 1)`;
/**
 * Which word of a list a run gets: its id's last five digits, weighted. Ids made in one millisecond differ
 * in the last digit only (by one), so its weight (7, 3: coprime with 40) gives neighbours other words.
 */
const mix = (id: string, weights: number[]) => weights.map((w, i) => `${digit(id, 26 - i)} * ${w}`).join(' + ');
const word = (list: string[], index: string) => `json_extract('${JSON.stringify(list)}', '$[' || ((${index}) % ${list.length}) || ']')`;
/** The SQL expression for a run's generated name, given its id and its number in the project. */
const nameSql = (id: string, n: string) => `${word(ADJECTIVES, mix(id, [7, 11, 13, 17, 19]))} || '-' || ${word(NOUNS, mix(id, [3, 23, 29, 31, 37]))} || '-' || (${n})`;

export const migration: Migration = {
  version: 13,
  name: 'run-names',
  up: `
    ALTER TABLE runs ADD COLUMN name TEXT NOT NULL DEFAULT '';

    WITH numbered AS (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY created_at, id) AS n FROM runs)
    UPDATE runs SET name = ${nameSql('runs.id', 'numbered.n')} FROM numbered WHERE numbered.id = runs.id;

    -- A run inserted without a name gets one: N counts the project's runs, this one included.
    CREATE TRIGGER runs_generated_name AFTER INSERT ON runs FOR EACH ROW WHEN NEW.name = '' BEGIN
      UPDATE runs SET name = ${nameSql('NEW.id', 'SELECT count(*) FROM runs WHERE project_id = NEW.project_id')} WHERE id = NEW.id;
    END;
  `,
};
