"""Analytics over all of a project's Redmine hours: query, data, formulas and handlers."""
