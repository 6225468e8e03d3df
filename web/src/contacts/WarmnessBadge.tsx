import { Badge } from '../ui/controls';
import { WARMNESS_STYLE, warmnessLabel } from './warmness';

/** "WARM 50": the label in words and colour, the score beside it. */
export function WarmnessBadge({ score, label }: { score: number; label?: string | null }) {
  const band = warmnessLabel(score, label);
  return (
    <Badge className={WARMNESS_STYLE[band] ?? 'border-slate-300 bg-slate-50 text-slate-900'}>
      <span>{band}</span>
      <span aria-hidden="true">·</span>
      <span>
        {score}
        <span className="sr-only"> out of 100 warmness</span>
      </span>
    </Badge>
  );
}
