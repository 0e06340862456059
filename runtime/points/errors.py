"""BACnet's errors, as the object database raises them (`property: write-access-denied`)."""

from __future__ import annotations


class BacnetError(Exception):
    """A BACnet error class and code (hyphenated, as BACnet prints them), with a human reason."""

    def __init__(self, error_class: str, error_code: str, reason: str = "") -> None:
        super().__init__(f"{error_class}: {error_code}" + (f" ({reason})" if reason else ""))
        self.error_class, self.error_code, self.reason = error_class, error_code, reason

    @property
    def text(self) -> str:
        """`property: write-access-denied`: BACnet's own text of the error."""
        return f"{self.error_class}: {self.error_code}"


def unknown_object(reason: str) -> BacnetError:
    return BacnetError("object", "unknown-object", reason)


def unknown_property(reason: str) -> BacnetError:
    return BacnetError("property", "unknown-property", reason)


def write_access_denied(reason: str) -> BacnetError:
    return BacnetError("property", "write-access-denied", reason)


def value_out_of_range(reason: str) -> BacnetError:
    return BacnetError("property", "value-out-of-range", reason)


def invalid_data_type(reason: str) -> BacnetError:
    return BacnetError("property", "invalid-data-type", reason)


def invalid_array_index(reason: str) -> BacnetError:
    return BacnetError("property", "invalid-array-index", reason)


def not_an_array(reason: str) -> BacnetError:
    return BacnetError("property", "property-is-not-an-array", reason)
