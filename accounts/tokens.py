from django.contrib.auth.tokens import PasswordResetTokenGenerator


class PortalTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset links that die with the account's sessions.

    Besides Django's own inputs (password, last login), the link depends on the
    account being active and on its session generation: deactivating an account
    or ending its sessions voids every link already mailed.
    """

    def _make_hash_value(self, user, timestamp):
        base = super()._make_hash_value(user, timestamp)
        return f"{base}|{int(user.is_active)}|{user.session_generation}"
