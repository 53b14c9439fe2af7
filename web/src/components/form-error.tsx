/** A form's problem, announced to screen readers; nothing when there is none. */
export function FormError({ message }: { readonly message: string | null | undefined | false }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}
