/**
 * The lab values the built-in analyzer recognises: a canonical name, the aliases reports print, the units
 * it accepts (the first is the one shown), a default adult reference range used when the report prints
 * none, and critical limits where common laboratory practice names them.
 */
export interface LabTest {
  name: string;
  aliases: string[];
  units: string[];
  low: number | null;
  high: number | null;
  criticalLow?: number;
  criticalHigh?: number;
  /** What the value measures, in plain words (for the summary and chat). */
  about: string;
}

/** Named in every finding that uses the default table instead of a printed range. */
export const DEFAULT_RANGES_SOURCE = 'default adult ranges (MedlinePlus / Merck Manual reference values)';

export const LAB_TESTS: LabTest[] = [
  // Complete blood count
  {
    name: 'Hemoglobin',
    aliases: ['haemoglobin', 'hemoglobin', 'hgb', 'hb'],
    units: ['g/dL'],
    low: 12,
    high: 17.5,
    criticalLow: 7,
    criticalHigh: 20,
    about: 'the oxygen-carrying protein in red blood cells',
  },
  {
    name: 'Hematocrit',
    aliases: ['haematocrit', 'hematocrit', 'hct', 'pcv', 'packed cell volume'],
    units: ['%'],
    low: 36,
    high: 52,
    criticalLow: 20,
    criticalHigh: 60,
    about: 'the share of blood made of red cells',
  },
  {
    name: 'RBC Count',
    aliases: ['rbc count', 'red blood cell count', 'red blood cells', 'rbc'],
    units: ['10^6/uL', 'million/uL', 'x10^12/L'],
    low: 4.2,
    high: 5.9,
    about: 'the number of red blood cells',
  },
  {
    name: 'WBC Count',
    aliases: [
      'wbc count',
      'white blood cell count',
      'total leukocyte count',
      'leukocyte count',
      'leukocytes',
      'white blood cells',
      'tlc',
      'wbc',
    ],
    units: ['10^3/uL', 'x10^9/L', 'thousand/uL'],
    low: 4,
    high: 11,
    criticalLow: 2,
    criticalHigh: 30,
    about: 'the number of white blood cells, which fight infection',
  },
  {
    name: 'Platelet Count',
    aliases: ['platelet count', 'platelets', 'plt'],
    units: ['10^3/uL', 'x10^9/L', 'thousand/uL'],
    low: 150,
    high: 450,
    criticalLow: 50,
    criticalHigh: 1000,
    about: 'the cells that help blood clot',
  },
  {
    name: 'MCV',
    aliases: ['mean corpuscular volume', 'mcv'],
    units: ['fL'],
    low: 80,
    high: 100,
    about: 'the average size of red blood cells',
  },
  {
    name: 'MCH',
    aliases: ['mean corpuscular hemoglobin', 'mch'],
    units: ['pg'],
    low: 27,
    high: 33,
    about: 'the average amount of hemoglobin per red cell',
  },
  {
    name: 'MCHC',
    aliases: ['mean corpuscular hemoglobin concentration', 'mchc'],
    units: ['g/dL'],
    low: 32,
    high: 36,
    about: 'the concentration of hemoglobin in red cells',
  },
  // Lipid panel
  {
    name: 'Total Cholesterol',
    aliases: ['total cholesterol', 'cholesterol, total', 'cholesterol total', 'cholesterol'],
    units: ['mg/dL'],
    low: null,
    high: 200,
    about: 'all the cholesterol in the blood',
  },
  {
    name: 'LDL Cholesterol',
    aliases: ['ldl cholesterol', 'ldl-c', 'ldl'],
    units: ['mg/dL'],
    low: null,
    high: 100,
    about: 'the "bad" cholesterol that can build up in arteries',
  },
  {
    name: 'HDL Cholesterol',
    aliases: ['hdl cholesterol', 'hdl-c', 'hdl'],
    units: ['mg/dL'],
    low: 40,
    high: null,
    about: 'the "good" cholesterol that helps clear other cholesterol',
  },
  {
    name: 'Triglycerides',
    aliases: ['triglycerides', 'triglyceride', 'tg'],
    units: ['mg/dL'],
    low: null,
    high: 150,
    criticalHigh: 1000,
    about: 'a type of fat in the blood',
  },
  // Glucose
  {
    name: 'Fasting Glucose',
    aliases: [
      'fasting blood glucose',
      'fasting plasma glucose',
      'fasting glucose',
      'fasting blood sugar',
      'blood sugar',
      'glucose, fasting',
      'fbs',
      'glucose',
    ],
    units: ['mg/dL'],
    low: 70,
    high: 99,
    criticalLow: 40,
    criticalHigh: 400,
    about: 'the sugar level in the blood after fasting',
  },
  {
    name: 'HbA1c',
    aliases: ['glycated hemoglobin', 'glycosylated hemoglobin', 'hemoglobin a1c', 'hba1c', 'a1c'],
    units: ['%'],
    low: 4,
    high: 5.6,
    about: 'the average blood sugar over the past two to three months',
  },
  // Thyroid
  {
    name: 'TSH',
    aliases: ['thyroid stimulating hormone', 'tsh'],
    units: ['mIU/L', 'uIU/mL'],
    low: 0.4,
    high: 4,
    about: 'the pituitary hormone that tells the thyroid to work',
  },
  {
    name: 'Free T4',
    aliases: ['free thyroxine', 'free t4', 'ft4'],
    units: ['ng/dL'],
    low: 0.8,
    high: 1.8,
    about: 'the main thyroid hormone, unbound',
  },
  {
    name: 'Free T3',
    aliases: ['free triiodothyronine', 'free t3', 'ft3'],
    units: ['pg/mL'],
    low: 2.3,
    high: 4.2,
    about: 'the active thyroid hormone, unbound',
  },
  // Kidney panel
  {
    name: 'Creatinine',
    aliases: ['serum creatinine', 'creatinine'],
    units: ['mg/dL'],
    low: 0.6,
    high: 1.3,
    criticalHigh: 10,
    about: 'a waste product the kidneys filter',
  },
  {
    name: 'Blood Urea Nitrogen',
    aliases: ['blood urea nitrogen', 'urea nitrogen', 'bun'],
    units: ['mg/dL'],
    low: 7,
    high: 20,
    criticalHigh: 100,
    about: 'a waste product from protein the kidneys filter',
  },
  {
    name: 'eGFR',
    aliases: ['estimated gfr', 'egfr'],
    units: ['mL/min/1.73m2'],
    low: 90,
    high: null,
    criticalLow: 15,
    about: 'how well the kidneys filter blood',
  },
  {
    name: 'Uric Acid',
    aliases: ['serum uric acid', 'uric acid'],
    units: ['mg/dL'],
    low: 3.5,
    high: 7.2,
    about: 'a waste product from the breakdown of purines',
  },
  {
    name: 'Sodium',
    aliases: ['serum sodium', 'sodium', 'na'],
    units: ['mmol/L', 'mEq/L'],
    low: 135,
    high: 145,
    criticalLow: 120,
    criticalHigh: 160,
    about: 'a salt that balances fluids in the body',
  },
  {
    name: 'Potassium',
    aliases: ['serum potassium', 'potassium', 'k'],
    units: ['mmol/L', 'mEq/L'],
    low: 3.5,
    high: 5.1,
    criticalLow: 2.8,
    criticalHigh: 6.2,
    about: 'a salt that nerves and muscles, the heart included, rely on',
  },
  // Liver panel
  {
    name: 'ALT',
    aliases: ['alanine aminotransferase', 'alt (sgpt)', 'sgpt', 'alt'],
    units: ['U/L', 'IU/L'],
    low: 7,
    high: 56,
    criticalHigh: 1000,
    about: 'a liver enzyme',
  },
  {
    name: 'AST',
    aliases: ['aspartate aminotransferase', 'ast (sgot)', 'sgot', 'ast'],
    units: ['U/L', 'IU/L'],
    low: 10,
    high: 40,
    criticalHigh: 1000,
    about: 'an enzyme found in the liver and muscles',
  },
  {
    name: 'Alkaline Phosphatase',
    aliases: ['alkaline phosphatase', 'alk phos', 'alp'],
    units: ['U/L', 'IU/L'],
    low: 44,
    high: 147,
    about: 'an enzyme from the liver and bones',
  },
  {
    name: 'Total Bilirubin',
    aliases: ['total bilirubin', 'bilirubin, total', 'bilirubin total', 'bilirubin'],
    units: ['mg/dL'],
    low: 0.1,
    high: 1.2,
    criticalHigh: 15,
    about: 'a yellow pigment the liver clears',
  },
  {
    name: 'Albumin',
    aliases: ['serum albumin', 'albumin'],
    units: ['g/dL'],
    low: 3.5,
    high: 5,
    about: 'the main protein made by the liver',
  },
];
