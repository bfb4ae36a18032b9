import { modelFeeds } from './feeds.ts';
import type { TaskPlanner } from './task.ts';

/** The dataset's inputs as they are; outputs are not read. */
export const forwardPlan: TaskPlanner = () => ({ spec: { kind: 'forward' }, feeds: modelFeeds });
