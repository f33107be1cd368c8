"""The single dissemination channel: contact points, the outbox and its dispatcher, e-mail, webhooks, acknowledgement links, the incident channel and feeds."""
