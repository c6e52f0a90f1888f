"""Briefing documents: uploads per agenda session, versions, access levels, packs, guides."""
