import { OpenFeature } from "@openfeature/web-sdk";

const client = OpenFeature.getClient();

export function checkoutButton(): string {
  const label = client.getBooleanValue("new-checkout", false) ? "Buy now" : "Checkout";
  const theme = client.getStringValue('dark-mode', "light");
  if (client.getBooleanValue(`new-chekout`, false)) {
    return `${label} (${theme})`;
  }
  return label;
}
