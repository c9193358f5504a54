"""Notification's I/O beyond its store and broker: the ledger database, webhooks over HTTP, mail
over SMTP, and the live hub with its broadcast among replicas. Opened and closed by the
bootstrap's context factory."""
