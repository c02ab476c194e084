using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class PushRouting : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "away_reason",
                table: "operator_presence",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "languages",
                table: "operator_presence",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{ru-RU}'");

            migrationBuilder.AddColumn<int>(
                name: "missed_offers",
                table: "operator_presence",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "offerable_at",
                table: "operator_presence",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid[]>(
                name: "trained_business_ids",
                table: "operator_presence",
                type: "uuid[]",
                nullable: false,
                defaultValueSql: "'{}'");

            migrationBuilder.CreateIndex(
                name: "ix_operator_presence_available",
                table: "operator_presence",
                column: "updated_at",
                filter: "state = 'Available'");

            // Every open console of an operator, on any instance, hears of the operator's state changes (an offer
            // ringing, wrap-up over, set away), and every instance's router hears that an operator is free.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION notify_operator_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state
                       AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
                       AND NEW.away_reason IS NOT DISTINCT FROM OLD.away_reason THEN
                        RETURN NULL;
                    END IF;
                    PERFORM pg_notify('operator_changed', json_build_object(
                        'operatorId', NEW.operator_id, 'state', NEW.state, 'since', NEW.updated_at, 'reason', NEW.away_reason)::text);
                    RETURN NULL;
                END
                $$;
                DROP TRIGGER IF EXISTS operator_presence_changed ON operator_presence;
                CREATE TRIGGER operator_presence_changed AFTER INSERT OR UPDATE ON operator_presence
                    FOR EACH ROW EXECUTE FUNCTION notify_operator_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS operator_presence_changed ON operator_presence;
                DROP FUNCTION IF EXISTS notify_operator_changed();
                """);

            migrationBuilder.DropIndex(
                name: "ix_operator_presence_available",
                table: "operator_presence");

            migrationBuilder.DropColumn(
                name: "away_reason",
                table: "operator_presence");

            migrationBuilder.DropColumn(
                name: "languages",
                table: "operator_presence");

            migrationBuilder.DropColumn(
                name: "missed_offers",
                table: "operator_presence");

            migrationBuilder.DropColumn(
                name: "offerable_at",
                table: "operator_presence");

            migrationBuilder.DropColumn(
                name: "trained_business_ids",
                table: "operator_presence");
        }
    }
}
