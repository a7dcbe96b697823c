"""The window's "Add Account" dialog: the account wizard under the name callers know.

The manual dialog that lived here became the wizard's "Set up manually" path (its server
fields are in ui.server_fields). Imports: ui.account_wizard.
"""

from __future__ import annotations

from mailapp.ui.account_wizard import AccountWizard

AccountDialog = AccountWizard

__all__ = ["AccountDialog"]
