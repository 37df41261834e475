"""What tests need to know about the accounts the factories make."""
from __future__ import annotations

# Every account the factories make has this password (unless a test gives another).
PASSWORD = "mật-khẩu-thử-1"
