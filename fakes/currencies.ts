/**
 * The fake's currency table: roughly realistic units per US dollar (2024), and how much each drifts.
 * Only the magnitudes matter: they make the fake's prices look like the real APIs' (JPY in millions,
 * KWD in tens of thousands, ETH around twenty).
 */

/** How a currency moves against the dollar: fiat FX, a crypto asset, a stablecoin, or the dollar itself. */
export type Drift = 'none' | 'fiat' | 'crypto' | 'pegged';

export type CurrencySpec = { perUsd: number; drift: Drift };

const fiat = (perUsd: number): CurrencySpec => ({ perUsd, drift: 'fiat' });
const crypto = (usdPrice: number): CurrencySpec => ({ perUsd: 1 / usdPrice, drift: 'crypto' });
const pegged: CurrencySpec = { perUsd: 1, drift: 'pegged' };

/** Every currency the fake can price bitcoin in, keyed by upper-case code. */
export const CURRENCIES: Readonly<Record<string, CurrencySpec>> = {
  USD: { perUsd: 1, drift: 'none' },
  ...{ AED: fiat(3.67), AFN: fiat(71), ALL: fiat(95), AMD: fiat(400), ANG: fiat(1.79), AOA: fiat(830) },
  ...{ ARS: fiat(850), AUD: fiat(1.52), AWG: fiat(1.79), AZN: fiat(1.7), BAM: fiat(1.8), BBD: fiat(2) },
  ...{ BDT: fiat(110), BGN: fiat(1.8), BHD: fiat(0.376), BIF: fiat(2850), BMD: fiat(1), BND: fiat(1.34) },
  ...{ BOB: fiat(6.9), BRL: fiat(5), BSD: fiat(1), BTN: fiat(83), BWP: fiat(13.6), BYN: fiat(3.27) },
  ...{ BZD: fiat(2), CAD: fiat(1.36), CDF: fiat(2750), CHF: fiat(0.88), CLP: fiat(950), CNY: fiat(7.2) },
  ...{ COP: fiat(3900), CRC: fiat(510), CUP: fiat(24), CVE: fiat(101), CZK: fiat(23), DJF: fiat(178) },
  ...{ DKK: fiat(6.9), DOP: fiat(59), DZD: fiat(134), EGP: fiat(47), ETB: fiat(57), EUR: fiat(0.92) },
  ...{ FJD: fiat(2.25), GBP: fiat(0.79), GEL: fiat(2.7), GHS: fiat(13), GMD: fiat(67), GNF: fiat(8600) },
  ...{ GTQ: fiat(7.8), GYD: fiat(209), HKD: fiat(7.8), HNL: fiat(24.7), HRK: fiat(6.9), HTG: fiat(132) },
  ...{ HUF: fiat(360), IDR: fiat(15700), ILS: fiat(3.7), INR: fiat(83), IQD: fiat(1310), IRR: fiat(42000) },
  ...{ ISK: fiat(138), JMD: fiat(155), JOD: fiat(0.709), JPY: fiat(150), KES: fiat(130), KGS: fiat(89) },
  ...{ KHR: fiat(4050), KMF: fiat(450), KRW: fiat(1330), KWD: fiat(0.307), KYD: fiat(0.83), KZT: fiat(450) },
  ...{ LAK: fiat(21000), LBP: fiat(89500), LKR: fiat(300), LRD: fiat(190), LSL: fiat(18.7), LYD: fiat(4.8) },
  ...{ MAD: fiat(10), MDL: fiat(17.7), MGA: fiat(4400), MKD: fiat(56.5), MMK: fiat(2100), MNT: fiat(3400) },
  ...{ MOP: fiat(8.05), MRU: fiat(39.7), MUR: fiat(46), MVR: fiat(15.4), MWK: fiat(1730), MXN: fiat(17) },
  ...{ MYR: fiat(4.7), MZN: fiat(63.9), NAD: fiat(18.7), NGN: fiat(1500), NIO: fiat(36.8), NOK: fiat(10.6) },
  ...{ NPR: fiat(133), NZD: fiat(1.64), OMR: fiat(0.385), PAB: fiat(1), PEN: fiat(3.7), PGK: fiat(3.75) },
  ...{ PHP: fiat(56), PKR: fiat(278), PLN: fiat(4), PYG: fiat(7300), QAR: fiat(3.64), RON: fiat(4.6) },
  ...{ RSD: fiat(108), RUB: fiat(92), RWF: fiat(1290), SAR: fiat(3.75), SBD: fiat(8.4), SCR: fiat(13.5) },
  ...{ SEK: fiat(10.4), SGD: fiat(1.34), SOS: fiat(571), SRD: fiat(35), STN: fiat(22.5), SZL: fiat(18.7) },
  ...{ THB: fiat(36), TJS: fiat(10.9), TMT: fiat(3.5), TND: fiat(3.1), TOP: fiat(2.36), TRY: fiat(32) },
  ...{ TTD: fiat(6.78), TWD: fiat(31.5), TZS: fiat(2560), UAH: fiat(39), UGX: fiat(3800), UYU: fiat(39) },
  ...{ UZS: fiat(12600), VES: fiat(36), VND: fiat(25000), VUV: fiat(119), WST: fiat(2.73), XAF: fiat(604) },
  ...{ XCD: fiat(2.7), XOF: fiat(604), XPF: fiat(110), YER: fiat(250), ZAR: fiat(18.7), ZMW: fiat(26) },
  ...{ XAU: fiat(1 / 2300), XAG: fiat(1 / 27) },
  ...{ ETH: crypto(3000), LTC: crypto(80), BCH: crypto(400), XRP: crypto(0.55), XLM: crypto(0.11) },
  ...{ LINK: crypto(15), DOT: crypto(7), EOS: crypto(0.8), YFI: crypto(7000), BNB: crypto(550) },
  ...{ SOL: crypto(140), ADA: crypto(0.45), DOGE: crypto(0.15), AVAX: crypto(35), MATIC: crypto(0.7) },
  ...{ UNI: crypto(8), ATOM: crypto(9), AAVE: crypto(95), SHIB: crypto(0.00002), XTZ: crypto(1) },
  ...{ ALGO: crypto(0.18), USDC: pegged, USDT: pegged, DAI: pegged },
};

/** The currencies of blockchain.info's ticker. */
export const BLOCKCHAIN_CODES: readonly string[] = [
  ...['USD', 'ARS', 'AUD', 'BRL', 'CAD', 'CHF', 'CLP', 'CNY', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'HRK'],
  ...['HUF', 'INR', 'ISK', 'JPY', 'KRW', 'NGN', 'NZD', 'PLN', 'RON', 'RUB', 'SEK', 'SGD', 'THB', 'TRY'],
  'TWD',
];

/** Coinbase lists everything, bitcoin itself included ("BTC": "1.00000000"), in code order. */
export const COINBASE_CODES: readonly string[] = [...Object.keys(CURRENCIES), 'BTC'].sort();

/** CoinGecko's supported vs_currencies among ours (lower case, as the API spells them). */
export const COINGECKO_CODES: readonly string[] = [
  ...['btc', 'eth', 'ltc', 'bch', 'bnb', 'eos', 'xrp', 'xlm', 'link', 'dot', 'yfi', 'usd', 'aed', 'ars'],
  ...['aud', 'bdt', 'bhd', 'bmd', 'brl', 'cad', 'chf', 'clp', 'cny', 'czk', 'dkk', 'eur', 'gbp', 'gel'],
  ...['hkd', 'huf', 'idr', 'ils', 'inr', 'jpy', 'krw', 'kwd', 'lkr', 'mmk', 'mxn', 'myr', 'ngn', 'nok'],
  ...['nzd', 'php', 'pkr', 'pln', 'rub', 'sar', 'sek', 'sgd', 'thb', 'try', 'twd', 'uah', 'vnd', 'zar'],
  ...['xag', 'xau'],
];

/** The CoinDesk Bitcoin Price Index's three currencies, with the HTML-entity symbols and names it sent. */
export const COINDESK_CODES: readonly { code: string; symbol: string; description: string }[] = [
  { code: 'USD', symbol: '&#36;', description: 'United States Dollar' },
  { code: 'GBP', symbol: '&pound;', description: 'British Pound Sterling' },
  { code: 'EUR', symbol: '&euro;', description: 'Euro' },
];
