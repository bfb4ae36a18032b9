import { modelFeeds } from './feeds.ts';
import type { TaskPlanner } from './task.ts';

/** The dataset's inputs as they are; the runner pools the first output. */
export const embedPlan: TaskPlanner = () => ({ spec: { kind: 'embed' }, feeds: modelFeeds });
