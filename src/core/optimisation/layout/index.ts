/** Facility layout: QAP on a grid of locations (memetic search) and a continuous row layout. */
export { qapInstance, qapCost, swapDelta, checkPermutation, invertPermutation, parseQaplibDat, parseQaplibSln, qaplibSolutionCost } from './qap';
export type { QapInstance, QaplibSolution } from './qap';
export { RobustTabuSearch, swapDescent } from './tabu';
export type { TabuOptions } from './tabu';
export { createQapSearch, cycleCrossover, orderCrossover } from './memetic';
export type { QapSearch, QapSearchOptions, QapSolution, QapProgress, QapStopReason } from './memetic';
export { gridLayoutInstance } from './qap';
export type { GridLayoutInput } from './qap';
export { rowLayout, planeLayoutCost, checkPlaneLayout, createPlaneLayoutSearch } from './plane';
export type { Machine, PlaneLayoutProblem, Placement, PlaneLayout, LayoutCheck, PlaneLayoutSearch, PlaneLayoutSearchOptions } from './plane';
