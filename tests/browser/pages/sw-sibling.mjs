export const sibling = "sw-sibling.mjs";
