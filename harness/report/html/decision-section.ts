import type { CellVerdict, DeviceDecision, RunDecision } from '../decision.ts';
import { escapeHtml as h } from './escape.ts';

/**
 * The top of the page: the answer to "which variant do I ship on which device, and did this change make
 * anything worse?". First what got worse (failed cells, budgets, regressions: worst first), then a card per
 * device (worst first) with the variant to ship, why, and the verdict of every variant.
 */
export function decisionSection(decision: RunDecision, runLabel: string | undefined): string {
  const worse = decision.worse;
  const headline = worse.length
    ? `<p class="verdict fail" data-worse="${worse.length}">${worse.length} cell${worse.length === 1 ? '' : 's'} got worse or broke a budget${decision.baselineRunId ? ` against baseline <code>${h(decision.baselineRunId)}</code>` : ''}.</p>`
    : decision.baselineRunId
      ? `<p class="verdict pass" data-worse="0">Nothing got worse against baseline <code>${h(decision.baselineRunId)}</code>, and no budget failed.</p>`
      : `<p class="verdict neutral" data-worse="0">No baseline run: nothing to compare against (edgebench report --baseline, or run --ab); no budget failed.</p>`;
  const worseList = worse.length
    ? `<ol class="worse">${worse.map((c) => `<li>${standingTag(c)} <strong>${h(`${c.deviceId} / ${c.variant}`)}</strong>${detailsOf(c)}</li>`).join('')}</ol>`
    : '';
  const cards = decision.devices.map(deviceCard).join('');
  return `<section id="decision" class="decision"><h2>${runLabel ? `Decision: ${h(runLabel)}` : 'Decision'}</h2>${headline}${worseList}<div class="cards">${cards}</div></section>`;
}

function deviceCard(device: DeviceDecision): string {
  const ship = device.ship
    ? `<p class="ship">Ship <strong data-ship="${h(device.ship.variant)}">${h(device.ship.variant)}</strong>: ${h(device.ship.reason)}.</p>`
    : `<p class="ship none">No variant to ship: ${h(device.why ?? 'none qualifies')}.</p>`;
  const rows = device.cells
    .map((c) => `<tr><td>${h(c.variant)}</td><td>${standingTag(c)}</td><td>${c.details.length ? h(c.details.join('; ')) : '-'}</td></tr>`)
    .join('');
  const excluded = device.excluded.length ? `<p class="note">Left out: ${device.excluded.map((e) => `${h(e.variant)} (${h(e.reason)})`).join('; ')}.</p>` : '';
  return `<article class="card" data-device="${h(device.deviceId)}"><h3>${h(device.deviceId)}</h3>${ship}<div class="table-wrap"><table><thead><tr><th>variant</th><th>verdict</th><th>why</th></tr></thead><tbody>${rows}</tbody></table></div>${excluded}</article>`;
}

const standingTag = (c: CellVerdict) => `<span class="standing ${c.standing.replace(/ /g, '-')}">${h(c.standing)}</span>`;
const detailsOf = (c: CellVerdict) => (c.details.length ? `: ${h(c.details.join('; '))}` : '');
