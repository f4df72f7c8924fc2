"""Policy documents and their interpretations: missing, one-way and late interpretations.

``pairing`` decides (pure), ``reading`` fetches and walks list pages, ``targets`` turns a
site's policy columns into observations the ``policy.*`` rules judge.
"""

from monitor.policy.targets import PolicyDocumentTarget, PolicyScanTarget, policy_target_for, policy_targets

__all__ = ["PolicyDocumentTarget", "PolicyScanTarget", "policy_target_for", "policy_targets"]
