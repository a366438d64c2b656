import { useLayoutEffect, useRef, useState } from 'react';

import type { LogLine } from '../state/execution';

const ROW = 18;
const OVERSCAN = 10;

/** A virtualised log: only the visible rows are in the DOM; follows the tail unless the
 *  user scrolled up. */
export function LogView({ lines, height = 260 }: { lines: readonly LogLine[]; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [follow, setFollow] = useState(true);
  const viewport = ref.current?.clientHeight || height;
  const total = lines.length * ROW;

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow) {
      el.scrollTop = Math.max(0, total - viewport);
      setScrollTop(el.scrollTop || Math.max(0, total - viewport));
    }
  }, [lines, follow, total, viewport]);

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + viewport) / ROW) + OVERSCAN);
  const visible = lines.slice(first, last);

  return (
    <div className="logwrap">
      <div
        ref={ref}
        className="log"
        style={{ height }}
        data-testid="log-view"
        data-lines={lines.length}
        onScroll={(ev) => {
          const el = ev.currentTarget;
          setScrollTop(el.scrollTop);
          setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2);
        }}
      >
        <div style={{ height: total, position: 'relative' }}>
          {visible.map((l, i) => (
            <div key={l.id} className={`logline level-${l.level}`} data-testid="log-line" data-key={l.id} data-ts={l.ts} style={{ position: 'absolute', top: (first + i) * ROW, height: ROW }}>
              <span className="muted">{new Date(l.ts).toISOString().slice(11, 23)}</span> {l.step ? <span className="step">[{l.step}]</span> : null} {l.line}
            </div>
          ))}
        </div>
      </div>
      {!follow ? (
        <button className="follow" data-testid="log-follow" onClick={() => setFollow(true)}>
          ↓ follow
        </button>
      ) : null}
    </div>
  );
}
