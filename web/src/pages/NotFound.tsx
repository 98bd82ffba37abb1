/** A console path that names no page: said plainly, with a way back. */
import { Link } from '../router';

export function NotFoundPage({ path, home }: { path: string; home: string }) {
  return (
    <section aria-labelledby="nf-h">
      <h1 id="nf-h">Page not found</h1>
      <p>
        There is no console page at <code>{path}</code>. The link may be mistyped or out of date.
      </p>
      <p>
        <Link to={home}>Go to your start page</Link>
      </p>
    </section>
  );
}
