"""Reports: needs routed to divisions, attendance statistics, charts and exports."""
