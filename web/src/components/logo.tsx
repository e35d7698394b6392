// The burnrate mark: a flame drawn in SVG (emoji fonts are not everywhere).
export function Logo({ size = 20 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true">
      <path fill="var(--accent)" d="M12 2c1 3.5-1.5 5.5-3 7.5C7.3 11.8 6 13.6 6 16a6 6 0 0 0 12 0c0-2.6-1.3-4.6-2.6-6.1.1 1.6-.4 3-1.6 3.6.3-3.9-.9-8.4-1.8-11.5z" />
      <path fill="var(--accent-2)" d="M12 13c.4 1.6-.8 2.5-1.4 3.4-.4.6-.6 1.1-.6 1.6a2 2 0 0 0 4 0c0-1.9-1-3.6-2-5z" />
    </svg>
  );
}
