"""The pages of the dissemination channel: acknowledge links, the outbox, contact points."""
