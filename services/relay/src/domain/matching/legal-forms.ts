/**
 * Company legal forms the matcher strips from names before comparing them, with the
 * jurisdiction each belongs to.
 *
 * Source: transcribed from the GLEIF ISO 20275 Entity Legal Forms (ELF) code list — the
 * "Entity Legal Form name" and "Abbreviations Local language" columns — for GB, US, IE, DE, FR,
 * NL, ES, IT, BE, LU, AT, CH, DK, SE, NO, FI, plus common English renderings. No npm package
 * maintains this list, so it lives here as data; to update, compare with the ELF list's newest
 * release (https://www.gleif.org/en/about-lei/code-lists/iso-20275-entity-legal-forms-code-list)
 * and add rows. Each row is `[form family, jurisdictions, ...spellings]`; spellings are written
 * as people type them and normalised by the same code that normalises names.
 */
export const LEGAL_FORMS: readonly (readonly [string, string, ...string[]])[] = [
  // United Kingdom / Ireland
  [
    'limited',
    'GB IE',
    'Limited',
    'Ltd',
    'Ltd.',
    'Private Limited Company',
    'Private Company Limited by Shares',
    'Teoranta',
    'Teo',
  ],
  ['plc', 'GB IE', 'Public Limited Company', 'PLC', 'p.l.c.', 'Cuideachta Phoiblí Theoranta', 'CPT'],
  ['llp', 'GB', 'Limited Liability Partnership', 'LLP', 'L.L.P.'],
  ['lp', 'GB US', 'Limited Partnership', 'LP', 'L.P.'],
  ['cic', 'GB', 'Community Interest Company', 'CIC'],
  ['clg', 'GB IE', 'Company Limited by Guarantee', 'CLG', 'Ltd by Guarantee', 'Limited by Guarantee'],
  ['dac', 'IE', 'Designated Activity Company', 'DAC'],
  ['uc', 'IE', 'Unlimited Company', 'UC', 'ULC'],
  ['cio', 'GB', 'Charitable Incorporated Organisation', 'CIO', 'SCIO'],
  // United States
  ['inc', 'US', 'Incorporated', 'Inc', 'Inc.'],
  ['corp', 'US', 'Corporation', 'Corp', 'Corp.'],
  ['llc', 'US', 'Limited Liability Company', 'LLC', 'L.L.C.', 'Ltd. Liability Co.'],
  ['lllp', 'US', 'Limited Liability Limited Partnership', 'LLLP'],
  ['pc', 'US', 'Professional Corporation', 'PC', 'P.C.'],
  ['pllc', 'US', 'Professional Limited Liability Company', 'PLLC'],
  ['company', 'US GB', 'Company', 'Co', 'Co.', 'and Company', 'and Co', '& Co', '& Co.'],
  // Germany, Austria, Switzerland
  ['gmbh', 'DE AT CH', 'Gesellschaft mit beschränkter Haftung', 'GmbH', 'gGmbH', 'GesmbH', 'Ges.m.b.H.'],
  ['ug', 'DE', 'Unternehmergesellschaft (haftungsbeschränkt)', 'UG (haftungsbeschränkt)', 'UG'],
  ['ag', 'DE AT CH', 'Aktiengesellschaft', 'AG'],
  [
    'kg',
    'DE AT',
    'Kommanditgesellschaft',
    'KG',
    'GmbH & Co. KG',
    'GmbH & Co KG',
    'AG & Co. KG',
    'KGaA',
    'GmbH & Co. KGaA',
  ],
  ['ohg', 'DE', 'Offene Handelsgesellschaft', 'OHG', 'oHG'],
  ['og', 'AT', 'Offene Gesellschaft', 'OG'],
  ['ev', 'DE AT', 'eingetragener Verein', 'e.V.', 'eV'],
  ['eg', 'DE AT', 'eingetragene Genossenschaft', 'eG'],
  ['ek', 'DE', 'eingetragener Kaufmann', 'e.K.', 'e.Kfm.'],
  ['sarl', 'CH FR LU BE', 'Société à responsabilité limitée', 'Sàrl', 'SARL', 'S.à r.l.', 'S.à.r.l.'],
  ['sa', 'CH FR LU BE ES', 'Société anonyme', 'SA', 'S.A.', 'Sociedad Anónima'],
  // France
  [
    'sas',
    'FR LU',
    'Société par actions simplifiée',
    'SAS',
    'S.A.S.',
    'SASU',
    'Société par actions simplifiée unipersonnelle',
  ],
  ['eurl', 'FR', 'Entreprise unipersonnelle à responsabilité limitée', 'EURL'],
  ['sca', 'FR LU BE', 'Société en commandite par actions', 'SCA'],
  ['snc', 'FR LU', 'Société en nom collectif', 'SNC'],
  ['sci', 'FR', 'Société civile immobilière', 'SCI'],
  ['scop', 'FR', 'Société coopérative et participative', 'SCOP'],
  // Netherlands, Belgium (Dutch)
  [
    'bv',
    'NL BE',
    'Besloten vennootschap',
    'Besloten Vennootschap met beperkte aansprakelijkheid',
    'BV',
    'B.V.',
    'BVBA',
  ],
  ['nv', 'NL BE', 'Naamloze vennootschap', 'NV', 'N.V.'],
  ['vof', 'NL', 'Vennootschap onder firma', 'VOF', 'V.O.F.'],
  ['cv', 'NL BE', 'Commanditaire vennootschap', 'CV', 'C.V.'],
  [
    'srl',
    'BE IT',
    'Société à responsabilité limitée (BE)',
    'SRL',
    'S.R.L.',
    'Società a responsabilità limitata',
    'Srls',
  ],
  ['sprl', 'BE', 'Société privée à responsabilité limitée', 'SPRL'],
  ['scrl', 'BE', 'Société coopérative à responsabilité limitée', 'SCRL', 'SC', 'CVBA'],
  ['asbl', 'BE LU', 'Association sans but lucratif', 'ASBL', 'VZW'],
  // Spain
  ['sl', 'ES', 'Sociedad Limitada', 'Sociedad de Responsabilidad Limitada', 'SL', 'S.L.', 'SLU', 'S.L.U.', 'SRL (ES)'],
  ['slne', 'ES', 'Sociedad Limitada Nueva Empresa', 'SLNE'],
  ['sau', 'ES', 'Sociedad Anónima Unipersonal', 'SAU', 'S.A.U.'],
  ['scoop', 'ES', 'Sociedad Cooperativa', 'S.Coop.', 'Scoop'],
  // Italy
  ['spa', 'IT', 'Società per azioni', 'SpA', 'S.p.A.'],
  ['sapa', 'IT', 'Società in accomandita per azioni', 'SApA', 'S.a.p.a.'],
  ['snc-it', 'IT', 'Società in nome collettivo', 's.n.c.'],
  ['sas-it', 'IT', 'Società in accomandita semplice', 's.a.s.'],
  // Luxembourg (beyond the FR forms above)
  ['secs', 'LU', 'Société en commandite simple', 'SECS', 'SCS', 'SCSp', 'Société en commandite spéciale'],
  // Nordics
  [
    'ab',
    'SE FI',
    'Aktiebolag',
    'AB',
    'publikt aktiebolag',
    'AB (publ)',
    'Osakeyhtiö',
    'Oy',
    'Oyj',
    'Julkinen osakeyhtiö',
  ],
  ['hb', 'SE', 'Handelsbolag', 'HB', 'Kommanditbolag', 'KB'],
  ['as', 'NO DK', 'Aksjeselskap', 'AS', 'A/S', 'Allmennaksjeselskap', 'ASA', 'Aktieselskab'],
  ['aps', 'DK', 'Anpartsselskab', 'ApS', 'IVS', 'Iværksætterselskab'],
  ['ky', 'FI', 'Kommandiittiyhtiö', 'Ky', 'Avoin yhtiö', 'Ay'],
  ['ans', 'NO', 'Ansvarlig selskap', 'ANS', 'DA'],
];
