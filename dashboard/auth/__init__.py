"""Sign-in: password and device-token hashing, accounts, and the throttle on failed attempts."""
