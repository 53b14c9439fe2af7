/**
 * A coloured word, with a longer explanation as its tooltip and, for screen readers, as text
 * right after it (outside the badge, so the badge itself reads as just the word).
 */
export function StatusBadge({ level, label, detail }: { readonly level: 'ok' | 'warn' | 'bad' | 'none'; readonly label: string; readonly detail?: string }) {
  return (
    <>
      <span className={`badge badge-${level}`} title={detail}>
        {label}
      </span>
      {detail ? <span className="visually-hidden">: {detail}</span> : null}
    </>
  );
}
