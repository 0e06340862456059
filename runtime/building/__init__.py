"""The living building: the points' control programs and physics, schedules and calendars, trend logs and
alarms, brought up to date from the emulator's clock when a point is read or written."""
