"""Rule packs: discovery, the ``%!`` metadata beside each rule, the checks a pack must pass
before it is used, selection of rules, the catalogue and scaffolding."""
