/** A product of the shop. */
export interface Product {
  sku: string;
  name: string;
  unitPrice: number;
}

/** What the shop sells: fixed, as a demo shop's catalog may be. */
export const CATALOG: readonly Product[] = [
  { sku: 'tea', name: 'Green tea, 100 g', unitPrice: 4.5 },
  { sku: 'mug', name: 'Stoneware mug', unitPrice: 12 },
  { sku: 'kettle', name: 'Gooseneck kettle', unitPrice: 39 },
];
