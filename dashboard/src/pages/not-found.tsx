// Any path the dashboard does not know.
import { Link } from "../router.tsx";

export function NotFoundPage() {
  return (
    <section className="stack">
      <h1>Not found</h1>
      <p>
        This page does not exist. <Link to="/servers">Go to the servers</Link>.
      </p>
    </section>
  );
}
