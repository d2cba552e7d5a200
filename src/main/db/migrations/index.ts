// Every migration, in order. Add a file NNNN-name.ts and list it here; never edit one that has shipped.
import type { Migration } from '../migrate';
import { migration as m0001 } from './0001-projects';
import { migration as m0002 } from './0002-hosts-runs';
import { migration as m0003 } from './0003-metric-pyramid';
import { migration as m0004 } from './0004-candidates';
import { migration as m0005 } from './0005-run-annotations';
import { migration as m0006 } from './0006-log-search-markers';
import { migration as m0007 } from './0007-run-events';
import { migration as m0008 } from './0008-log-clock';
import { migration as m0009 } from './0009-testing';
import { migration as m0010 } from './0010-reviews';
import { migration as m0011 } from './0011-registries';
import { migration as m0012 } from './0012-slurm';
import { migration as m0013 } from './0013-run-names';
import { migration as m0014 } from './0014-sweeps';
import { migration as m0015 } from './0015-continuous';
import { migration as m0016 } from './0016-sweep-hosts';
import { migration as m0017 } from './0017-code-pins';

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012, m0013, m0014, m0015, m0016, m0017];
