// The RT head's messages (verified, rejected): the inbox screen both apps share, opening a
// report on this app's report page.
import { Inbox as SharedInbox } from '../../../shared/Inbox.jsx';

const reportPath = (reportId) => `/reports/${encodeURIComponent(reportId)}`;

export const Inbox = () => <SharedInbox reportPath={reportPath} />;
