import type { ErrorCode } from '../../shared/errors';
import { ClientError } from '../api/client';
import { plainMessage } from '../components/form-errors';
import type { Slice } from './slice';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
  code?: ErrorCode;
}

export interface NoticesSlice {
  notices: Notice[];
  notify(kind: Notice['kind'], text: string, code?: ErrorCode): void;
  notifyError(err: unknown): void;
  dismissNotice(id: number): void;
}

let nextNoticeId = 1;

export const createNoticesSlice: Slice<NoticesSlice> = (set, get) => ({
  notices: [],
  notify(kind, text, code) {
    const notice: Notice = { id: nextNoticeId++, kind, text, ...(code ? { code } : {}) };
    // Keep the last few: a storm of errors must not bury the page.
    set({ notices: [...get().notices, notice].slice(-4) });
    if (kind === 'info') setTimeout(() => get().dismissNotice(notice.id), 4000);
  },
  notifyError(err) {
    // Validation issues in the user's words, not the validator's ("Steps must be a number.").
    if (err instanceof ClientError) get().notify('error', plainMessage(err), err.code);
    else get().notify('error', err instanceof Error ? err.message : String(err), 'INTERNAL');
  },
  dismissNotice: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
});
