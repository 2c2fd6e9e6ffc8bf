/**
 * What the dashboard and the metadata filters show: aggregates only (counts per bin, per day, per
 * value), never one row per pair. Built by the workspace's dashboard and metadata rooms, drawn by
 * the renderer's DashboardView.
 */
import type { PairStatus } from './review'

/** Bins of the dashboard's histograms over [0, 1] (bin k is [k/BINS, (k+1)/BINS), the last closed). */
export const DASHBOARD_BINS = 20

/** A metadata condition: the pair's value of `column` is one of `values`. */
export interface MetadataCondition {
  column: string
  values: string[]
}

/** One imported metadata column and how many pairs have a value in it. */
export interface MetadataColumn {
  name: string
  pairs: number
}

/** A value of a metadata column and how many pairs have it. */
export interface MetadataValueCount {
  value: string
  pairs: number
}

export interface MetadataBreakdown {
  column: string
  /** Pairs with a value in this column. */
  pairs: number
  /** The most frequent values, most frequent first. */
  values: MetadataValueCount[]
  /** Pairs whose value is not among `values` (the long tail). */
  otherPairs: number
}

export interface DashboardData {
  total: number
  byStatus: Record<PairStatus, number>
  /** Pairs with statistics, and the histogram of their uncertain fraction (DASHBOARD_BINS bins). */
  scanned: number
  uncertainHistogram: number[]
  /** The triage score's histogram, once scores exist (null until then). */
  scoreHistogram: number[] | null
  /** First decisions per day (UTC day, ISO date): cumulated, the progress over time. */
  firstDecisions: { day: string; pairs: number }[]
  /** Audit events that decided something, per UTC day and curator. */
  decisions: { day: string; curator: string; events: number }[]
  /** Problems the scan found in source masks, per code (clickable: they are pairs). */
  problems: { code: string; pairs: number }[]
  /** Pairing problems of the dataset per code (masks without an image…: not pairs of the queue). */
  pairingProblems: { code: string; count: number }[]
  metadata: MetadataBreakdown[]
}
