// Placeholder: this page is being built.
import { PageHeader } from '../components/ui.tsx';

export default function Page() {
  return <PageHeader title="account" description="Coming soon." />;
}
