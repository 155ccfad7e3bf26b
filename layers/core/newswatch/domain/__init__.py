"""The pure domain: text in, summary and topics out, alert decisions.

No AWS and no environment reads here."""
