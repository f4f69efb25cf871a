// The three independent tasks of one feature that the budget and pause_after tests run through the CLI (each test
// counts on their order: two P0 tasks, then the P1 one).
export const BUS_PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0, 2h)
- [ ] **T001.002** Publisher (P0, 4h)
- [ ] **T001.003** Consumer (P1, 3h)
`;
