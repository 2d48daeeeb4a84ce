"""Planning: references ($(ref.NAME.FIELD)), the dependency graph, validation, regions and zones."""
