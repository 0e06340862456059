"""The device's users (/user-management-v2/users): their directory of salted password hashes, its hooks
and the --user option."""
