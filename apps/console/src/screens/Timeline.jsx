// A report's history in words, each decision with who made it (the deciding verifier's name).
import { formatWib, t } from '../../../shared/i18n.js';
import { reasonWords } from '../words.js';

export function Timeline({ entries }) {
  return (
    <ol class="timeline">
      {entries.map((entry) => (
        <li key={entry.version}>
          <span class="when">{formatWib(entry.at)}</span> {words(entry)}
        </li>
      ))}
    </ol>
  );
}

function words(entry) {
  const tier = entry.tier ? t(`tier.${entry.tier}`) : '';
  const who = entry.verifier?.name ? ` (${entry.verifier.name})` : '';
  switch (entry.event) {
    case 'ReportSubmitted':
      return t('timeline.submitted');
    case 'ReportRevised':
      return t('timeline.revised', { n: entry.revision });
    case 'ReportApproved':
      return t('timeline.approved', { tier, who });
    case 'ReportRejected':
      return t('timeline.rejected', { tier, who, reason: reasonWords(entry.reason_code), note: entry.note });
    case 'ReportVerified':
      return t('timeline.verified');
    case 'VerificationOverdue':
      return t('timeline.overdue', { tier });
    default:
      return entry.event;
  }
}
