import type { ProbeFactory } from './probe.ts';

/** Energy by a linear power model: idle power over the phase's wall time plus active power per busy core-second. */
export function modelJoules(model: { idleWatts: number; activeWattsPerCore: number }, wallMs: number, cpuMs: number): number {
  return model.idleWatts * (wallMs / 1000) + model.activeWattsPerCore * (cpuMs / 1000);
}

/**
 * For devices without an energy counter: the runner's CPU time in the timed
 * phase (process.cpuUsage, all its threads, as the runner reports it) times
 * the device's powerModel from devices.yaml. Always labelled an estimate.
 */
export const cpuTimeEstimateProbe: ProbeFactory<'energy'> = ({ powerModel }) => {
  let phase: { wallMs: number; cpuMs: number } | undefined;
  let reported = false;
  return {
    async start() {
      return powerModel ? undefined : 'no powerModel for this device in devices.yaml to estimate from';
    },
    async sample() {
      // Nothing to read: the runner reports its own CPU time.
    },
    onRunnerEvent(event) {
      if (event.type !== 'timed-phase' || event.edge !== 'end') return;
      reported = true;
      if (event.wallMs !== undefined && event.cpuMs !== undefined) phase = { wallMs: event.wallMs, cpuMs: event.cpuMs };
    },
    async stop() {
      const model = powerModel!;
      if (!phase)
        return {
          source: 'unavailable',
          reason: reported
            ? 'the runner cannot read its own CPU time here, which the powerModel estimate needs'
            : 'the runner reported no timed phase with its CPU time (the page runner in a browser does not, nor a runner that failed before it)',
        };
      return {
        source: 'estimated',
        probe: 'cpu-time-estimate',
        joules: modelJoules(model, phase.wallMs, phase.cpuMs),
        from: `CPU time x ${model.name}: ${model.activeWattsPerCore} W per busy core-second of the runner plus ${model.idleWatts} W idle over its timed phase`,
      };
    },
  };
};
