/** Flexible (hybrid) flow-shop scheduling: validator, independent checker, solver, rescheduling. */
export * from './types';
export { validateFlowShop, validateFlowShopOptions, type ValidatedFlowShop } from './validate';
export { checkFlowShopSchedule } from './check';
export { solveFlowShop } from './solver';
export {
  rescheduleFlowShop,
  type FlowShopDisturbance,
  type FlowShopMachineDown,
  type FlowShopRushJob,
  type FlowShopKpiChange,
  type FlowShopRescheduleResult,
} from './reschedule';
